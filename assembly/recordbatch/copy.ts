// Small copies dominate record encoding (16-byte keys, 100-byte values), where
// a call to memory.copy costs more than the copy; v128 moves handle them inline.
// Source and destination never overlap here (input and output regions differ).

// @ts-ignore: decorator
@inline
export function copyBytes(dst: usize, src: usize, n: i32): void {
  if (n >= 16) {
    if (n > 256) {
      memory.copy(dst, src, <usize>n);
      return;
    }
    const last = <usize>(n - 16);
    let i: usize = 0;
    while (i < last) {
      v128.store(dst + i, v128.load(src + i));
      i += 16;
    }
    // The final 16 bytes, overlapping what was already copied.
    v128.store(dst + last, v128.load(src + last));
    return;
  }
  let i: usize = 0;
  const count = <usize>n;
  if (count >= 8) {
    store<u64>(dst, load<u64>(src));
    store<u64>(dst + count - 8, load<u64>(src + count - 8));
    return;
  }
  while (i < count) {
    store<u8>(dst + i, load<u8>(src + i));
    i++;
  }
}
