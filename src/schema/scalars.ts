import { DateTimeResolver, JSONResolver } from 'graphql-scalars';

export const DateTimeScalar = DateTimeResolver;
export const JSONScalar = JSONResolver;

/** A file of a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec). */
export { GraphQLUpload as UploadScalar } from 'graphql-upload-minimal';
