// Who is signed in and what they may do, as the API's `me` says. Screens ask `can(...)`
// before offering an action, so nothing the API would refuse is offered; the API still
// decides (a refused call shows its error).
import { createContext, useContext } from "react";
import { graphql } from "../gql";
import type { Permission, ViewerQuery } from "../gql/graphql";

export const ViewerDocument = graphql(`
  query Viewer {
    me {
      id
      email
      kind
      role
      firstName
      lastName
      permissions
    }
  }
`);

export type Me = NonNullable<ViewerQuery["me"]>;

export interface Viewer {
  me: Me;
  can(permission: Permission): boolean;
  canAny(...permissions: Permission[]): boolean;
}

export function viewerOf(me: Me): Viewer {
  const held = new Set(me.permissions);
  return {
    me,
    can: (permission) => held.has(permission),
    canAny: (...permissions) => permissions.some((p) => held.has(p)),
  };
}

export const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (viewer === null) throw new Error("useViewer outside a signed-in screen");
  return viewer;
}

/** The permissions that make the Settings area worth showing. */
export const SETTINGS_PERMISSIONS: Permission[] = ["SETTINGS_WRITE", "WEBHOOKS_MANAGE", "STAFF_MANAGE"];
