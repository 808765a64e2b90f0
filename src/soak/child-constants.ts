// Names the soak's child process and the soak share (the child module runs itself on import, so it cannot be imported).

/** The job's SQLite file inside a data directory. */
export const DB_FILE = 'soak.db'

/** The job's checkpoint store inside a data directory. */
export const CHECKPOINTS_DIR = 'checkpoints'
