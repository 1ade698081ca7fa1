import './components/pigeon-app.ts';
