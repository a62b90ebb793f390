import { mount } from 'svelte';
import App from './app/App.svelte';
import { registerBrowserCodecUrls } from './io/dicom/decode/wasm-urls.browser';
import './app/app.css';

// Tell the JPEG 2000 / JPEG-LS / JPEG decoders where Vite put their wasm, before any decode.
registerBrowserCodecUrls();
// Start the DICOM load workers and compile their codecs while the user picks files.
void import('./io/dicom/index')
  .then((m) => m.warmLoadWorkers())
  .catch((e) => console.warn('load workers did not start:', e));

const params = new URLSearchParams(location.search);
const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target, props: { autoDemo: params.get('demo') !== '0' } });
