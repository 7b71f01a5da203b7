// The GraphQL multipart request spec (github.com/jaydenseric/graphql-multipart-request-spec): the operation as
// JSON with every file replaced by null, a map from part names to the variable paths they fill, then the files.

export function multipartBody(query: string, variables: unknown): FormData {
  const files: { path: string; file: Blob }[] = [];
  const withoutFiles = replaceFiles(variables, 'variables', files);
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: withoutFiles }));
  form.append('map', JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
  files.forEach((f, i) => form.append(String(i), f.file, f.file instanceof File ? f.file.name : 'upload'));
  return form;
}

function replaceFiles(value: unknown, path: string, files: { path: string; file: Blob }[]): unknown {
  if (value instanceof Blob) {
    files.push({ path, file: value });
    return null;
  }
  if (Array.isArray(value)) return value.map((v, i) => replaceFiles(v, `${path}.${i}`, files));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceFiles(v, `${path}.${k}`, files)]));
  }
  return value;
}
