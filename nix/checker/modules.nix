# Loading and merging NixOS modules the simple way sbx's output needs: a module is a file,
# a function or an attribute set; `imports` are followed; definitions merge per attribute,
# lists concatenate, other values must be equal. mkIf/mkDefault/mkForce and option
# declarations are rejected: sbx never emits them, so seeing one means something is wrong.
{ t }:
let
  inherit (builtins) all any attrNames concatLists concatMap filter foldl' head isAttrs isFunction isList
    listToAttrs map removeAttrs typeOf;

  stub = what: throw "sbx checker: a generated module must not read `${what}' (sbx emits plain values)";
  args = name: { config = stub "config"; options = stub "options"; lib = stub "lib"; pkgs = stub "pkgs"; modulesPath = stub "modulesPath"; inherit name; };

  # [ { file; config; keys; } ] in import order, imports first.
  collect = name: file: m:
    let
      isFile = typeOf m == "path";
      where = if isFile then toString m else file;
      raw = if isFile then import m else m;
      v = if isFunction raw then raw (args name) else raw;
      shape =
        if !isAttrs v then throw "sbx checker: the module ${where} is not an attribute set or a function returning one"
        else if v ? options then throw "sbx checker: the module ${where} declares options; sbx's modules only define values"
        else if v ? config && removeAttrs v [ "config" "imports" "_file" ] != { } then throw "sbx checker: the module ${where} mixes `config' with other top-level definitions"
        else if v ? config then v.config
        else removeAttrs v [ "imports" "_file" ];
      imports = v.imports or [ ];
    in
    concatMap (collect name where) imports ++ [ { file = where; config = shape; keys = attrNames shape; } ];

  conflict = loc: defs:
    throw "sbx checker: the option `${t.showLoc loc}' has conflicting definition values:${builtins.concatStringsSep "" (map (d: "\n- In `${d.file}': ${t.show d.value}") defs)}";

  # defs: [ { file; value; } ] for one location.
  merge = loc: defs:
    let values = map (d: d.value) defs; in
    if builtins.length defs == 1 && !(isAttrs (head values)) then head values
    else if any (v: isAttrs v && v ? _type) values then
      throw "sbx checker: `${t.showLoc loc}' uses ${(head (filter (v: isAttrs v && v ? _type) values))._type} (mkIf/mkDefault/...), which sbx never emits"
    else if all isAttrs values then
      let names = attrNames (foldl' (acc: v: acc // v) { } values); in
      listToAttrs (map (n: {
        name = n;
        value = merge (loc ++ [ n ]) (concatMap (d: if d.value ? ${n} then [ { inherit (d) file; value = d.value.${n}; } ] else [ ]) defs);
      }) names)
    else if all isList values then concatLists values
    else if all (v: !(isFunction v) && v == head values) values then head values
    else conflict loc defs;
in
{
  inherit collect;
  mergeModules = mods: merge [ ] (map (m: { inherit (m) file; value = m.config; }) mods);
}
