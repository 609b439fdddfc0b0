// Served from other://localhost: not the window's origin. No preload here, so it speaks
// to the bridge's channel directly; the host must refuse it.
import { sendRaw } from './raw.js';
document.title = `foreign: api=${typeof window.api}`;
for (let i = 0; i < 3; i++) sendRaw(`foreign origin ${location.origin}`);
setTimeout(() => {
  location.href = `app://localhost/raw.html#foreign-api=${typeof window.api}`;
}, 700);
