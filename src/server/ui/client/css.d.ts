// esbuild bundles imported stylesheets into the page's one .css file.
declare module '*.css';
