import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "src/bindings/"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      // Building DOM from strings invites injection: the UI uses textContent only.
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "Use the h() helper; never innerHTML." },
        { property: "outerHTML", message: "Use the h() helper; never outerHTML." },
      ],
    },
  },
);
