#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so a checkout works right after
// `npm install` with no build step and the code that runs is always the code you read.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
