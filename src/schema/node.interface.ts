import { Field, ID, InterfaceType } from 'type-graphql';
import { resolveByTypename } from './typename';

@InterfaceType('Node', { resolveType: resolveByTypename })
export abstract class NodeInterface {
  @Field(() => ID)
  id!: string;
}
