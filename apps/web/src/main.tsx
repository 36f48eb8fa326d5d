import { render } from 'preact';
import { loadConfig } from './config.js';
import { restoreSession, takeUrlParams } from './session.js';
import { App } from './ui/app.js';
import './styles.css';

const { room } = takeUrlParams();
if (room) history.replaceState(null, '', `/rooms/${encodeURIComponent(room)}`);
const config = await loadConfig();
const restored = restoreSession(config.devSignIn);
const root = document.getElementById('app');
if (root)
  render(
    <App
      config={config}
      session={restored && 'session' in restored ? restored.session : null}
      problem={restored && 'problem' in restored ? restored.problem : null}
    />,
    root,
  );
