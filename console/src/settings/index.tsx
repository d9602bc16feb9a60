// Settings: shipping methods (SETTINGS_WRITE), webhooks (WEBHOOKS_MANAGE), API tokens and
// staff (STAFF_MANAGE). Each section shows only for a viewer the API would let use it.
import type { ComponentType } from "react";
import { Tab, TabList, TabPanel, Tabs } from "react-aria-components";
import { useSearchParams } from "react-router";
import type { Permission } from "../gql/graphql";
import { useViewer } from "../lib/viewer";
import { Notice } from "../ui";
import "../ui/screens.css";
import { ApiTokens } from "./ApiTokens";
import { ShippingMethods } from "./ShippingMethods";
import { Staff } from "./Staff";
import { Webhooks } from "./Webhooks";

const SECTIONS: { key: string; label: string; needs: Permission; Screen: ComponentType }[] = [
  { key: "shipping", label: "Shipping methods", needs: "SETTINGS_WRITE", Screen: ShippingMethods },
  { key: "webhooks", label: "Webhooks", needs: "WEBHOOKS_MANAGE", Screen: Webhooks },
  { key: "tokens", label: "API tokens", needs: "STAFF_MANAGE", Screen: ApiTokens },
  { key: "staff", label: "Staff", needs: "STAFF_MANAGE", Screen: Staff },
];

export default function SettingsScreen() {
  const { can } = useViewer();
  const [params, setParams] = useSearchParams();
  const sections = SECTIONS.filter((section) => can(section.needs));
  const chosen = sections.find((section) => section.key === params.get("section"))?.key ?? sections[0]?.key;
  return (
    <section aria-labelledby="settings-title" className="stack">
      <h1 id="settings-title">Settings</h1>
      {sections.length === 0 || !chosen ? (
        <Notice>Your role has no settings to change.</Notice>
      ) : (
        <Tabs className="tabs" selectedKey={chosen} onSelectionChange={(key) => setParams({ section: String(key) })}>
          <TabList aria-label="Settings sections">
            {sections.map((section) => (
              <Tab key={section.key} id={section.key} className="tab">
                {section.label}
              </Tab>
            ))}
          </TabList>
          {sections.map(({ key, Screen }) => (
            <TabPanel key={key} id={key} className="stack">
              <Screen />
            </TabPanel>
          ))}
        </Tabs>
      )}
    </section>
  );
}
