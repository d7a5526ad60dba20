# A stand-in for nixpkgs, for `nix flake check --no-build --override-input nixpkgs …` on
# machines that cannot download nixpkgs. It checks sbx's flake.nix wiring only: every
# attribute it uses exists, the outputs have the right shape, and every package-lock.json
# entry carries the "resolved" URL and "integrity" hash that importNpmLock fetches by.
# It builds nothing real (each derivation's builder just fails), and says nothing about
# whether the real buildNpmPackage succeeds.
{
  outputs =
    { self }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
      lib = {
        inherit genAttrs;
        licenses.mit = { spdxId = "MIT"; };
        fileset = {
          unions = list: list;
          toSource = { root, fileset }: builtins.seq (builtins.length fileset) root;
        };
      };
      stubFor =
        system:
        let
          drv =
            name: extra:
            derivation (
              {
                inherit name system;
                builder = "/bin/sh";
                args = [ "-c" "echo 'nixpkgs stub: nothing is built' >&2; exit 1" ];
              }
              // extra
            );
          checkedLock =
            lock:
            let
              entries = builtins.removeAttrs lock.packages [ "" ];
              bad = builtins.filter (k: !(entries.${k} ? resolved && entries.${k} ? integrity)) (builtins.attrNames entries);
            in
            if bad == [ ] then
              builtins.length (builtins.attrNames entries)
            else
              throw "package-lock.json entries without resolved/integrity (importNpmLock cannot fetch them): ${builtins.concatStringsSep ", " bad}";
        in
        {
          stdenv.hostPlatform.system = system;
          nodejs_20 = drv "nodejs-20-stub" { };
          docker-compose = drv "docker-compose-stub" { };
          nix = drv "nix-stub" { };
          git = drv "git-stub" { };
          time = drv "time-stub" { };
          importNpmLock = {
            npmConfigHook = drv "npm-config-hook-stub" { };
            __functor =
              _:
              { package, packageLock, ... }:
              drv "${package.name}-${package.version}-sources-stub" { entries = checkedLock packageLock; };
          };
          buildNpmPackage =
            args:
            drv "${args.pname}-${args.version}-stub" {
              inherit (args) src npmDeps npmConfigHook nodejs;
              npmPackFlags = args.npmPackFlags or [ ];
            }
            // {
              meta = args.meta or { };
            };
          mkShell = args: drv "shell-stub" { packages = args.packages or [ ]; };
        };
    in
    {
      inherit lib;
      legacyPackages = genAttrs systems stubFor;
    };
}
