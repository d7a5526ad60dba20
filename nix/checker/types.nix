# sbx's option-type checker, in plain Nix (no nixpkgs): a type is
# { description; check = loc: value: checkedValue; } and `check` throws a located message.
# Option trees are attribute sets whose leaves are made with `option`; checkTree rejects
# unknown names, fills defaults and reports missing required values, like lib.evalModules
# does for the options it mirrors. Works with Nix >= 2.8.
let
  inherit (builtins)
    all attrNames concatStringsSep elem filter genList head isAttrs isBool isFunction isInt
    isList isString length listToAttrs map match stringLength substring toJSON typeOf;

  isIdent = s: match "[A-Za-z_][A-Za-z0-9_'-]*" s != null;

  # `microvm.shares[1].mountPoint`; odd names quoted like nix's showOption.
  showLoc = loc:
    let
      seg = i: s:
        if match "[[][0-9]+[]]" s != null then s
        else (if i == 0 then "" else ".") + (if isIdent s then s else toJSON s);
    in
    concatStringsSep "" (genList (i: seg i (builtins.elemAt loc i)) (length loc));

  # A short rendering of any value that never forces a store copy.
  show = v:
    let t = typeOf v; in
    if t == "string" || t == "int" || t == "bool" || t == "null" || t == "float" then toJSON v
    else if t == "path" then "path ${toString v}"
    else if t == "lambda" then "<function>"
    else if t == "list" then "[ ${concatStringsSep " " (map show v)} ]"
    else if t == "set" then "{ ${concatStringsSep "; " (attrNames v)} }"
    else "<${t}>";

  fail = loc: description: v:
    throw "sbx checker: the option `${showLoc loc}' is not of type `${description}'. Value: ${show v}";

  # A type from a predicate on the value.
  simple = description: pred: {
    inherit description;
    check = loc: v: if pred v then v else fail loc description v;
  };

  isStringLike = v: isString v || typeOf v == "path";

  option = type: { _sbxOption = true; inherit type; };
  optionDefault = type: default: { _sbxOption = true; inherit type default; };
  # Required by microvm.nix only when something reads it (e.g. macvtap.link): omitted when unset.
  optionLazy = type: { _sbxOption = true; inherit type; lazy = true; };

  isOption = node: isAttrs node && node ? _sbxOption;

  checkTree = loc: tree: v:
    if !isAttrs v then fail loc "attribute set of options" v
    else
      let
        unknown = filter (n: !(tree ? ${n})) (attrNames v);
        known = concatStringsSep ", " (map (n: "`${showLoc (loc ++ [ n ])}'") (attrNames tree));
        present = filter (n: v ? ${n} || !(isOption tree.${n}) || tree.${n} ? default || !(tree.${n}.lazy or false)) (attrNames tree);
        node = n: d:
          if isOption d then
            (if v ? ${n} then d.type.check (loc ++ [ n ]) v.${n}
             else if d ? default then d.default
             else throw "sbx checker: the option `${showLoc (loc ++ [ n ])}' has no value defined.")
          else checkTree (loc ++ [ n ]) d (v.${n} or { });
      in
      if unknown != [ ] then
        throw "sbx checker: the option `${showLoc (loc ++ [ (head unknown) ])}' does not exist. Options here: ${known}."
      else listToAttrs (map (n: { name = n; value = node n tree.${n}; }) present);

  types = rec {
    bool = simple "boolean" isBool;
    int = simple "signed integer" isInt;
    str = simple "string" isString;
    nonEmptyStr = simple "non-empty string" (v: isString v && match "[ \t\n]*" v == null);
    positive = simple "positive integer, meaning >0" (v: isInt v && v > 0);
    unsigned = simple "unsigned integer, meaning >=0" (v: isInt v && v >= 0);
    port = simple "16 bit unsigned integer; between 0 and 65535 (both inclusive)" (v: isInt v && v >= 0 && v <= 65535);
    # nixpkgs' types.path: a string or path whose text starts with "/".
    path = simple "absolute path" (v: isStringLike v && substring 0 1 (toString v) == "/");
    unspecified = { description = "unspecified value"; check = _: v: v; };
    # A NixOS module: an attribute set, a function or a file.
    module = simple "module" (v: isAttrs v || isFunction v || typeOf v == "path");

    enum = values: simple "one of ${concatStringsSep ", " (map toJSON values)}" (v: elem v values);

    nullOr = t: {
      description = "null or ${t.description}";
      check = loc: v: if v == null then null else t.check loc v;
    };

    listOf = t: {
      description = "list of ${t.description}";
      check = loc: v:
        if !isList v then fail loc "list of ${t.description}" v
        else genList (i: t.check (loc ++ [ "[${toString i}]" ]) (builtins.elemAt v i)) (length v);
    };

    attrsOf = t: {
      description = "attribute set of ${t.description}";
      check = loc: v:
        if !isAttrs v then fail loc "attribute set of ${t.description}" v
        else builtins.mapAttrs (n: x: t.check (loc ++ [ n ]) x) v;
    };

    # `tree` may be a function of the submodule's own (raw) value, for defaults that
    # depend on siblings (microvm.nix's share socket depends on tag and proto).
    submodule = tree: {
      description = "submodule";
      check = loc: v: checkTree loc (if isFunction tree then tree v else tree) v;
    };
  };
in
{
  inherit types option optionDefault optionLazy checkTree showLoc show isIdent;
}
