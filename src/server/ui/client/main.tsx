// The library browser at /ui (issue 14), bundled by scripts/build-ui.mjs and type-checked by
// `tsc -p src/server/ui/client` (this folder is outside the server's tsconfig).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './ui.css';

createRoot(document.getElementById('ui')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
