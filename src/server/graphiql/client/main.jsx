// GraphiQL 5 browser entry. Bundled by scripts/build-graphiql.mjs with esbuild;
// deliberately .jsx so that tsc (tsconfig "include": ["src"]) ignores it.
import './workers.js'; // must run before Monaco initialises
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './page.css';

const DEFAULT_QUERY = `# Welcome to facegraph!
# Run with Ctrl+Enter (⌘+Enter) or ▶.

query Overview {
  providers {
    id
    kind
    capabilities {
      registerFace
      searchFaces
    }
  }
  libraries {
    totalCount
    edges {
      node {
        id
        name
        faceCount
      }
    }
  }
}
`;

const fetcher = createGraphiQLFetcher({
  url: new URL('/graphql', window.location.href).toString(),
});

createRoot(document.getElementById('graphiql')).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
);
