{
  description = "sbx: declarative sandboxes per git worktree (plan, apply, destroy)";

  # flake.lock is not committed yet: it needs network access to lock nixpkgs. Run
  # `nix flake lock` once on a networked machine and commit the result.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";

  outputs =
    { self, nixpkgs }:
    let
      lib = nixpkgs.lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      pkgJson = builtins.fromJSON (builtins.readFile ./package.json);
    in
    {
      packages = forAllSystems (pkgs: {
        # Builds dist/sbx.mjs with `npm run build` and installs what `npm pack` would ship
        # (package.json "files"), with a `sbx` wrapper around nodejs_20.
        #
        # Dependencies: importNpmLock fetches every package-lock.json entry by its own
        # "resolved" URL and "integrity" hash, so there is no npmDepsHash to keep up to date:
        # updating the lock file (npm install) is the whole update. That needs "resolved" in
        # every entry; the project .npmrc keeps npm writing it. (The alternative,
        # `npmDepsHash` with fetchNpmDeps, needs the hash recomputed on every lock change:
        # `nix run nixpkgs#prefetch-npm-deps package-lock.json`.)
        default = pkgs.buildNpmPackage {
          pname = pkgJson.name;
          inherit (pkgJson) version;
          src = lib.fileset.toSource {
            root = ./.;
            fileset = lib.fileset.unions [
              ./package.json
              ./package-lock.json
              ./tsconfig.json
              ./README.md
              ./schemas
              ./scripts
              ./src
            ];
          };
          nodejs = pkgs.nodejs_20;
          npmDeps = pkgs.importNpmLock {
            package = pkgJson;
            packageLock = builtins.fromJSON (builtins.readFile ./package-lock.json);
          };
          npmConfigHook = pkgs.importNpmLock.npmConfigHook;
          # The install step lists files with `npm pack --json --dry-run`; the bundle is
          # already built, so the prepack build must not run (or print) again there.
          npmPackFlags = [ "--ignore-scripts" ];
          doInstallCheck = true;
          installCheckPhase = ''
            runHook preInstallCheck
            test "$($out/bin/sbx --version)" = "${pkgJson.version}"
            runHook postInstallCheck
          '';
          meta = {
            description = pkgJson.description;
            license = lib.licenses.mit;
            mainProgram = "sbx";
          };
        };
      });

      # `nix run` (or `nix run .# -- plan`)
      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = "${self.packages.${pkgs.stdenv.hostPlatform.system}.default}/bin/sbx";
        };
      });

      # `nix develop`: what `npm ci && npm test` and the bench need (Terraform is unfree
      # in nixpkgs, so it is left to the host).
      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.nodejs_20
            pkgs.docker-compose
            pkgs.nix
            pkgs.git
            pkgs.time
          ];
        };
      });

      # A networked `nix flake check` builds the package (and runs its install check).
      checks = forAllSystems (pkgs: {
        package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      });
    };
}
