// sbx's version: package.json's, put into the bundle at build time.

declare const __SBX_VERSION__: string | undefined;

export const SBX_VERSION: string = typeof __SBX_VERSION__ === "string" ? __SBX_VERSION__ : "0.0.0-dev";
