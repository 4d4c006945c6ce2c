// Terraform reads every string in the synthesized JSON as a template: `${` starts an interpolation and `%{` a
// directive. Scripts and bundled code are literal text, so both sequences are escaped (`$${`, `%%{`).
// (Replacement functions, not strings: in a replacement string `$$` would mean a single `$`.)

export function escapeTerraformTemplate(text: string): string {
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** The text Terraform will see after reading an escaped template (inverse of escapeTerraformTemplate). */
export function unescapeTerraformTemplate(text: string): string {
  return text.replace(/\$\$\{/g, () => '${').replace(/%%\{/g, () => '%{');
}
