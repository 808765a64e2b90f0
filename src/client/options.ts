// Refuses option keys a client does not know, naming the key and the nearest
// known one, because a misspelt option silently ignored is a classic Kafka pitfall.

export function checkOptions(what: string, options: object, known: readonly string[]): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${what} options must be an object`)
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const hint = nearest(key, known)
    throw new RangeError(`unknown ${what} option "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; known options: ${known.join(', ')}`)
  }
}

function nearest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase())
    if (d < bestDistance) {
      bestDistance = d
      best = k
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined
}

/** Levenshtein distance (the "did you mean" suggestions of options and command-line flags). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]
}
