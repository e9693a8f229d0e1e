/** A registry holding every built-in source and writer; extensions are added to it when loaded. */
import { Registry } from "./core/registry.ts"
import { builtinSources } from "./sources/index.ts"
import { builtinWriters } from "./writers/index.ts"

export function builtinRegistry(): Registry {
  return new Registry().addSources(builtinSources).addWriters(builtinWriters)
}
