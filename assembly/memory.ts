// Linear-memory allocation for the JS side. Kernels never allocate managed
// objects; the TypeScript wrappers ask for raw blocks here (scratch buffers,
// sketch state) and free them when done. The TLSF allocator of AssemblyScript's
// `minimal` runtime backs both calls.

export function alloc(size: usize): usize {
  const ptr = heap.alloc(size);
  memory.fill(ptr, 0, size);
  return ptr;
}

export function dealloc(ptr: usize): void {
  heap.free(ptr);
}
