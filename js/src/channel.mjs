// The channel to the Python side: file descriptor 3, one JSON document per line.
//
// Log records travel here (so each keeps its level, however many lines its text has) and so does the
// run's result, last. stdout and stderr stay free for anything that writes to them directly (an adaptor's
// own console), which the Python side logs as it comes.
import { writeSync } from 'node:fs';
import { format } from 'node:util';
import createLogger from '@openfn/logger';
import stringify from 'fast-safe-stringify';

// The Python side passes the descriptor it opened (`--channel=N`); 3 when run by hand (`3>file`).
const flag = process.argv.find((arg) => arg.startsWith('--channel='));
export const CHANNEL_FD = flag ? Number(flag.slice('--channel='.length)) : 3;
const LEVELS = { log: 'info', info: 'info', always: 'info', success: 'info', debug: 'debug', warn: 'warning', error: 'error' };

function writeAll(fd, text) {
  const buffer = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += writeSync(fd, buffer, offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error; // a full pipe: the reader catches up
    }
  }
}

/** JSON text of `value`; values JSON cannot hold (BigInt, cycles) become strings, never a lost result. */
export function toJson(value) {
  return stringify(value, (_key, item) => (typeof item === 'bigint' ? item.toString() : item));
}

export function send(message) {
  writeAll(CHANNEL_FD, `${toJson(message)}\n`);
}

/** An OpenFn logger (same formatting as OpenFn's CLI) whose records go to `sink` (one object each). */
export function sinkLogger(name, level, sink) {
  const emitter = {};
  for (const [method, python] of Object.entries(LEVELS)) {
    emitter[method] = (...args) => sink({ type: 'log', level: python, message: format(...args) });
  }
  return createLogger(name, { level, logger: emitter });
}

/** An OpenFn logger whose lines go to the channel. */
export function channelLogger(name, level) {
  return sinkLogger(name, level, send);
}
