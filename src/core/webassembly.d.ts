// The part of the WebAssembly JS API the proof-of-work kernel uses. Node.js has it as a global;
// @types/node does not declare it and TypeScript only ships it with the DOM library, which this
// project does not load (it would bring browser globals into Node code).

declare namespace WebAssembly {
  class Module {
    constructor(bytes: BufferSource);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
}
