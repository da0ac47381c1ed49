import '../shared/polyfills.js';
