#!/usr/bin/env node
import { run } from './program.js';

const code = await run(process.argv);
// Let stdout drain before leaving; the exit code is what scripts see.
process.exitCode = code;
