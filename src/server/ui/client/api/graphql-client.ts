import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { multipartBody } from './multipart';

// The page's one way to the server: POST /graphql on this origin, JSON or (with files) the GraphQL multipart
// request spec, with the API key the person gave, if any.

export type Document<R, V> = DocumentTypeDecoration<R, V> & { toString(): string };

/** The server wants a credential (HTTP 401 / UNAUTHENTICATED), or refused the one it got. */
export class AuthenticationRequired extends Error {}

/** An answer without data: a request the server refused (HTTP or GraphQL errors), or no answer at all. */
export class RequestFailed extends Error {}

const API_KEY_ITEM = 'facegraph.apiKey';

/** Kept for the browser tab only (sessionStorage): closing it forgets the key. */
export const apiKey = {
  get: (): string | null => sessionStorage.getItem(API_KEY_ITEM),
  set: (key: string) => sessionStorage.setItem(API_KEY_ITEM, key),
  clear: () => sessionStorage.removeItem(API_KEY_ITEM),
};

export function authorizationHeader(): Record<string, string> {
  const key = apiKey.get();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

interface GraphQLResponse<R> {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: string; requiredScope?: string } }[];
}

export async function request<R, V>(document: Document<R, V>, variables: V): Promise<R> {
  const query = document.toString();
  const hasFiles = containsFile(variables);
  const init: RequestInit = {
    method: 'POST',
    headers: {
      accept: 'application/graphql-response+json, application/json',
      ...authorizationHeader(),
      // Multipart is a "simple" content type: Apollo's CSRF prevention wants this header to prove a preflight.
      ...(hasFiles ? { 'apollo-require-preflight': 'true' } : { 'content-type': 'application/json' }),
    },
    body: hasFiles ? multipartBody(query, variables) : JSON.stringify({ query, variables }),
  };
  let response: Response;
  try {
    response = await fetch('/graphql', init);
  } catch {
    throw new RequestFailed('The server could not be reached.');
  }
  const body = (await response.json().catch(() => ({}))) as GraphQLResponse<R>;
  const first = body.errors?.[0];
  if (response.status === 401 || first?.extensions?.code === 'UNAUTHENTICATED') {
    throw new AuthenticationRequired(first?.message ?? 'This server needs an API key.');
  }
  if (first) {
    const scope = first.extensions?.requiredScope;
    throw new RequestFailed(scope ? `${first.message} (this needs the ${scope} scope)` : first.message);
  }
  if (!response.ok || !body.data) throw new RequestFailed(`The server answered HTTP ${response.status}.`);
  return body.data;
}

function containsFile(value: unknown): boolean {
  if (value instanceof Blob) return true;
  if (Array.isArray(value)) return value.some(containsFile);
  if (value && typeof value === 'object') return Object.values(value).some(containsFile);
  return false;
}
