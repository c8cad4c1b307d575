import type { Config } from '../../config.js';

// Links put in emails and API answers. The public URL may carry a path prefix (behind a proxy).
function base(config: Pick<Config, 'publicUrl'>): string {
  return config.publicUrl.href.replace(/\/+$/, '');
}

/** The reporter's private status page: the token in it is the only key to the report. */
export function statusUrl(config: Pick<Config, 'publicUrl'>, statusToken: string): string {
  return `${base(config)}/status/${statusToken}`;
}

/** A report's page for the team (sign-in required). */
export function teamReportUrl(config: Pick<Config, 'publicUrl'>, projectSlug: string, reportId: string): string {
  return `${base(config)}/p/${projectSlug}/reports/${reportId}`;
}
