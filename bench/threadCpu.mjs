// CPU time of this process's main (JavaScript) thread, apart from libuv's pool threads (fsync) and
// V8's helper threads (GC), which process.cpuUsage() counts too. The main thread is what limits how
// much a bridge gets through. Linux only (from /proc); elsewhere NaN.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (sysconf(_SC_CLK_TCK), 100 on Linux). */
const TicksPerSecond = 100;

/** Microseconds of CPU the main thread has used so far, or NaN where /proc is not there. */
export function mainThreadCpuMicros() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces: state is the
    // first; utime and stime (fields 14 and 15 of the line) are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TicksPerSecond;
  } catch {
    return NaN;
  }
}
