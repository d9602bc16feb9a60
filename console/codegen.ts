// Typed documents from the API's printed schema (../schema.graphql) and the graphql(`…`)
// calls beside the components that use them. CODEGEN_OUT lets the staleness check
// (scripts/codegen-check.mjs) generate into a scratch folder and compare.
import type { CodegenConfig } from "@graphql-codegen/cli";

const out = process.env.CODEGEN_OUT ?? "./src/gql/";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**"],
  ignoreNoDocuments: true,
  generates: {
    [out]: {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false },
        defaultScalarType: "unknown",
        scalars: { Decimal: "string", DateTime: "string", JSON: "unknown", Upload: "File" },
      },
    },
  },
};

export default config;
