#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step between a checkout and a
// working CLI, and rule data files resolve next to the modules that load them.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
