export declare const DENO_VERSION: string
export declare function ensureDeno(): string
