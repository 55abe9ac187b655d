// `gradc/runtime`: the runtime package, re-exported, so code that imports the runtime through
// gradc (and code generated with `--runtime-import gradc/runtime`) shares one copy with code that
// imports `gradc-runtime` itself.
export * from "gradc-runtime";
