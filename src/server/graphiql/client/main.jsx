// GraphiQL 5 browser entry. Bundled by scripts/build-graphiql.mjs with esbuild;
// deliberately .jsx so that tsc (tsconfig "include": ["src"]) ignores it.
import './workers.js'; // must run before Monaco initialises
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { Kind, parse } from 'graphql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './page.css';

const DEFAULT_QUERY = `# Welcome to facegraph!
# Run with Ctrl+Enter (⌘+Enter) or ▶.

{
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

const endpoint = new URL('/graphql', window.location.href);
const httpFetcher = createGraphiQLFetcher({
  url: endpoint.toString(),
  // Subscriptions go over graphql-ws; the headers tab's headers (e.g. authorization) become connection_init's payload.
  subscriptionUrl: endpoint.toString().replace(/^http/, 'ws'),
});

// GraphiQL re-reads the operation name 100 ms after the last edit, so a run right after typing or pasting
// sends the name of the text that was there before, with the new text. The name sent must name an operation
// of the text sent: a single operation needs none; with several, the server's answer says a name is needed.
function operationNameFor(query, operationName) {
  if (!operationName) return operationName;
  let operations;
  try {
    operations = parse(query).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  } catch {
    return operationName; // the server reports the syntax error
  }
  if (operations.some((op) => op.name?.value === operationName)) return operationName;
  return operations.length === 1 ? null : operationName;
}

// The toolkit sends an operation over the WebSocket when options.documentAST shows a subscription; GraphiQL's
// documentAST lags the text by the same 100 ms, so the text sent is parsed here.
function currentDocument(query, documentAST) {
  try {
    return parse(query);
  } catch {
    return documentAST;
  }
}

const fetcher = (params, options) =>
  httpFetcher(
    { ...params, operationName: operationNameFor(params.query, params.operationName) },
    { ...options, documentAST: currentDocument(params.query, options?.documentAST) },
  );

createRoot(document.getElementById('graphiql')).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
);
