import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageInfoType } from './connection.types';
import { InvalidInputError, NotFoundError } from './error.types';
import { NodeInterface } from './node.interface';
import { resultUnion } from './result.types';
import { DateTimeScalar } from './scalars';

@ObjectType('Viewer', {
  description: 'Who the caller is and what it may do: a front end shows or hides actions by it.',
})
export class ViewerType {
  @Field({ description: 'The key id, "jwt:<sub>", or "anonymous" (local development, or auth.mode none).' })
  actor!: string;
  @Field(() => [String], { description: 'read, search, write, admin: a scope implies no other.' }) scopes!: string[];
  @Field(() => [ID], { nullable: true, description: 'The providers the credential is limited to; null: all.' })
  providers?: string[] | null;
}

@ObjectType('ApiKey', {
  implements: NodeInterface,
  description: 'An API key made with createApiKey or npm run keys. Its secret is never stored.',
})
export class ApiKeyType extends NodeInterface {
  @Field() name!: string;
  @Field(() => [String]) scopes!: string[];
  @Field(() => [ID], { nullable: true }) providers?: string[] | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) expiresAt?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Kept to the minute.' }) lastUsedAt?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) revokedAt?: Date | null;
}

@ObjectType('ApiKeyEdge')
export class ApiKeyEdge {
  @Field() cursor!: string;
  @Field(() => ApiKeyType) node!: ApiKeyType;
}

@ObjectType('ApiKeyConnection')
export class ApiKeyConnection {
  @Field(() => [ApiKeyEdge]) edges!: ApiKeyEdge[];
  @Field(() => PageInfoType) pageInfo!: PageInfoType;
  @Field(() => Int) totalCount!: number;
}

@InputType('CreateApiKeyInput')
export class CreateApiKeyInput {
  @Field({ description: 'Who or what the key is for.' }) name!: string;
  @Field(() => [String], { description: 'Any of read, search, write, admin.' }) scopes!: string[];
  @Field(() => [ID], {
    nullable: true,
    description: "Limits the key to these providers' libraries, persons and faces.",
  })
  providers?: string[] | null;
  @Field(() => DateTimeScalar, { nullable: true }) expiresAt?: Date | null;
}

@ObjectType('CreateApiKeySuccess')
export class CreateApiKeySuccess {
  @Field(() => ApiKeyType) apiKey!: ApiKeyType;
  @Field({ description: 'Shown this once: only its SHA-256 is stored. Send it as Authorization: Bearer <secret>.' })
  secret!: string;
}

@ObjectType('RevokeApiKeySuccess')
export class RevokeApiKeySuccess {
  @Field(() => ApiKeyType) apiKey!: ApiKeyType;
}

export const CreateApiKeyResult = resultUnion('CreateApiKeyResult', [CreateApiKeySuccess, InvalidInputError]);
export const RevokeApiKeyResult = resultUnion('RevokeApiKeyResult', [RevokeApiKeySuccess, NotFoundError]);

@ObjectType('AuditEvent', {
  description: 'One mutation or search: who, what, on which ids, with what outcome. Never values or images.',
})
export class AuditEventType {
  @Field(() => ID) id!: string;
  @Field(() => DateTimeScalar) at!: Date;
  @Field() actor!: string;
  @Field({ description: 'The GraphQL field, e.g. registerFace.' }) operation!: string;
  @Field(() => [ID]) targetIds!: string[];
  @Field({ description: "The result's __typename, e.g. RegisterFaceSuccess or NotFoundError." }) outcome!: string;
  @Field(() => String, { nullable: true }) clientAddress?: string | null;
}

@ObjectType('AuditEventEdge')
export class AuditEventEdge {
  @Field() cursor!: string;
  @Field(() => AuditEventType) node!: AuditEventType;
}

@ObjectType('AuditEventConnection')
export class AuditEventConnection {
  @Field(() => [AuditEventEdge]) edges!: AuditEventEdge[];
  @Field(() => PageInfoType) pageInfo!: PageInfoType;
  @Field(() => Int) totalCount!: number;
}

@InputType('AuditFilter')
export class AuditFilterInput {
  @Field(() => String, { nullable: true }) actor?: string | null;
  @Field(() => String, { nullable: true }) operation?: string | null;
  @Field(() => ID, { nullable: true }) targetId?: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) since?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) until?: Date | null;
}
