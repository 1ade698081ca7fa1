import './components/pigeon-app.ts';
import { installable } from './pwa.ts';

installable();
