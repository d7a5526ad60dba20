// Names derived from the project and slot, computed in one place so every file agrees.

/** The compose project name of a slot: `<project>-slot-<N>`, lowercased to compose's alphabet. */
export function composeProjectName(project: string, slot: number): string {
  return `${project}-slot-${slot}`.toLowerCase().replace(/[^a-z0-9_-]/g, "-");
}
