import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';

/**
 * A subscription sent as a plain HTTP request is the client's mistake: a 400 that says where subscriptions go,
 * instead of graphql-js's "not configured" error, which Apollo would treat (and log) as a failure of ours.
 */
export function subscriptionsNotOverHttp<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError(
            'Subscriptions are not served over plain HTTP requests: open a graphql-ws WebSocket.',
            {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            },
          );
        },
      };
    },
  };
}
