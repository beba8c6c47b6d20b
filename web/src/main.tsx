import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { applyTheme, storedTheme } from './theme';
import './styles/app.css';

applyTheme(storedTheme());
createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
