export * from './package.js';
export * from './finding.js';
export * from './image.js';
export * from './file.js';
export * from './scan.js';
export * from './registry.js';
