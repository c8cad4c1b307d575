/** The acknowledgement message a project starts from; the team edits it per report before sending. */
export const DEFAULT_ACK_TEMPLATE = `Hello {{reporter_name}},

Thank you for reporting this to the {{project_name}} security team. We have received report {{tracking_id}} and a member of the team is looking at it now.

We will keep you informed on your private status page as we assess it, and we may ask you for more details. Please keep the issue confidential until we have agreed a disclosure date together.

Thank you for helping keep {{project_name}} and its users safe.`;

export interface AckTemplateVars {
  reporterName: string | null;
  projectName: string;
  trackingId: string;
}

/** Fills the `{{...}}` placeholders; unknown placeholders are left as written. */
export function renderAckTemplate(template: string, vars: AckTemplateVars): string {
  const values: Record<string, string> = {
    reporter_name: vars.reporterName?.trim() || 'there',
    project_name: vars.projectName,
    tracking_id: vars.trackingId,
  };
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
}
