/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type ErrorCode =
  | 'CURRENCY_MISMATCH'
  | 'DUPLICATE_CODE'
  | 'DUPLICATE_SKU'
  | 'EMAIL_TAKEN'
  | 'FORBIDDEN'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'INSUFFICIENT_STOCK'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_INPUT'
  | 'INVALID_SHIPPING_METHOD'
  | 'INVALID_STATUS_TRANSITION'
  | 'INVALID_TRACKING_NUMBER'
  | 'INVALID_WEBHOOK_URL'
  | 'LIMIT_REACHED'
  | 'NOTHING_TO_SHIP'
  | 'NOTHING_TO_VOID'
  | 'NOT_FOUND'
  | 'ORDER_NOT_EDITABLE'
  | 'ORDER_NOT_SHIPPABLE'
  | 'PAYMENT_EXCEEDS_BALANCE'
  | 'QUANTITY_BELOW_SHIPPED'
  | 'QUANTITY_EXCEEDS_RETURNABLE'
  | 'QUANTITY_EXCEEDS_UNSHIPPED'
  | 'RATE_LIMITED'
  | 'REFUND_EXCEEDS_PAYMENT'
  | 'SHIPMENT_HAS_RETURNS'
  | 'TRANSACTION_CONFLICT'
  | 'UNAUTHENTICATED'
  | 'UNKNOWN_SKU'
  | 'VERSION_CONFLICT';

export type Permission =
  | 'DOCUMENTS_WRITE'
  | 'IMPORTS_WRITE'
  | 'ORDERS_READ'
  | 'ORDERS_WRITE'
  | 'PAYMENTS_WRITE'
  | 'REFUNDS_WRITE'
  | 'RETURNS_WRITE'
  | 'SETTINGS_WRITE'
  | 'SHIPMENTS_WRITE'
  | 'STAFF_MANAGE'
  | 'WEBHOOKS_MANAGE';

export type Role =
  | 'ADMIN'
  | 'FULFILLMENT'
  | 'SUPPORT';

export type UserKind =
  | 'CUSTOMER'
  | 'STAFF';

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { me: { id: string, email: string, kind: UserKind, role: Role | null, firstName: string, lastName: string, permissions: Array<Permission> } | null };

export type SignOutMutationVariables = Exact<{ [key: string]: never; }>;


export type SignOutMutation = { logout: { revoked: boolean } };

export type SignInMutationVariables = Exact<{
  email: string;
  password: string;
}>;


export type SignInMutation = { login: { token: string | null, errors: Array<{ code: ErrorCode, message: string }> } };


export const ViewerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"firstName"}},{"kind":"Field","name":{"kind":"Name","value":"lastName"}},{"kind":"Field","name":{"kind":"Name","value":"permissions"}}]}}]}}]} as unknown as DocumentNode<ViewerQuery, ViewerQueryVariables>;
export const SignOutDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SignOut"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"logout"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revoked"}}]}}]}}]} as unknown as DocumentNode<SignOutMutation, SignOutMutationVariables>;
export const SignInDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SignIn"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"email"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"password"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"login"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"email"},"value":{"kind":"Variable","name":{"kind":"Name","value":"email"}}},{"kind":"Argument","name":{"kind":"Name","value":"password"},"value":{"kind":"Variable","name":{"kind":"Name","value":"password"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"token"}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<SignInMutation, SignInMutationVariables>;