import { expect, it } from "vitest";
// @ts-expect-error: a plain ES module script, without type declarations
import { schemaDrift } from "../../scripts/check-schema.mjs";

it("the typed client is generated from the committed OpenAPI snapshot", () => {
  expect(schemaDrift(), "run `npm run generate` in admin/ (or `make openapi`)").toBeNull();
}, 20_000);
