/**
 * File access shared by the readers and by save(): reading a whole file, and writing one
 * atomically. Every failure becomes an IOError whose message names the function and the file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IOError } from '../errors.js';
import { fail } from '../validate.js';

/** The path argument every io function takes: a non-empty string. */
export function checkPath(fn: string, path: unknown): string {
  if (typeof path !== 'string' || path === '') fail(fn, 'path', 'a non-empty string (a file path)', path);
  return path;
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EEXIST: 'the file already exists',
};

/** An IOError for a failed system call on `path`, keeping the original error as its cause. */
export function systemError(fn: string, verb: string, path: string, err: unknown): IOError {
  const code = (err as { code?: unknown })?.code;
  const reason = typeof code === 'string' && REASONS[code] !== undefined ? `${REASONS[code]} (${code})` : String((err as Error)?.message ?? err);
  return new IOError(`${fn}: cannot ${verb} ${path}: ${reason}`, { cause: err });
}

export function readFileBytesSync(fn: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw systemError(fn, 'read', path, err);
  }
}

export async function readFileBytes(fn: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw systemError(fn, 'read', path, err);
  }
}

// A temp file next to the target: rename() is only atomic within one file system, and the
// pid plus random suffix keep two writers (processes or threads) from sharing one.
function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

// System-call failures (they carry a `syscall`) become IOErrors naming the file; anything
// else, such as an ArgumentError from the chunk producer, passes through as it is.
function asIOError(fn: string, path: string, err: unknown): unknown {
  return typeof (err as { syscall?: unknown })?.syscall === 'string' ? systemError(fn, 'write', path, err) : err;
}

// fsync of the directory makes the rename itself durable. Some platforms cannot open a
// directory for that (Windows); the data is already safe then, so failing here is ignored.
function syncDirSync(path: string): void {
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort, see above */
  }
}

async function syncDir(path: string): Promise<void> {
  try {
    const handle = await open(dirname(path), 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort, see syncDirSync */
  }
}

/**
 * Writes the chunks to `${path}.tmp-<pid>-<random>`, fsyncs it and renames it over path. The
 * chunks are produced lazily, so an error while producing one (or while writing) happens with
 * the temp file half written: it is then removed, and a file already at path is left untouched.
 */
export function writeAtomicSync(fn: string, path: string, chunks: Iterable<Uint8Array>): void {
  const tmp = tempPath(path);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.byteLength; ) done += writeSync(fd, chunk, done, chunk.byteLength - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* already failing; the original error is the one to report */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already renamed */
    }
    throw asIOError(fn, path, err);
  }
  syncDirSync(path);
}

/** The asynchronous writeAtomicSync. */
export async function writeAtomic(fn: string, path: string, chunks: Iterable<Uint8Array>): Promise<void> {
  const tmp = tempPath(path);
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  try {
    handle = await open(tmp, 'wx');
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.byteLength; ) {
        done += (await handle.write(chunk, done, chunk.byteLength - done)).bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = null;
    await rename(tmp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw asIOError(fn, path, err);
  }
  await syncDir(path);
}
