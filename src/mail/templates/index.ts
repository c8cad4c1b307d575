import type { Email } from '../emails.js';
import { renderAccountSetup } from './account-setup.email.js';
import { renderCaseInvitation } from './case-invitation.email.js';
import { renderCaseProgress } from './case-progress.email.js';
import { renderCaseReminder } from './case-reminder.email.js';
import { renderAnnouncement } from './announcement.email.js';
import { renderCaseTimeline } from './case-timeline.email.js';
import { renderDistributorNotice } from './distributor-notice.email.js';
import { renderDistributorUpdate } from './distributor-update.email.js';
import { renderDistributorWelcome } from './distributor-welcome.email.js';
import { renderDependentAlert } from './dependent-alert.email.js';
import { renderDependentConfirm } from './dependent-confirm.email.js';
import { renderFindingsNew } from './findings-new.email.js';
import { renderListConfirm } from './list-confirm.email.js';
import type { RenderedEmail, TemplateContext } from './email-layout.js';
import { renderReportReceived } from './report-received.email.js';
import { renderReporterUpdate } from './reporter-update.email.js';
import { renderTeamNewReport } from './team-new-report.email.js';
import { renderTeamReporterReplied } from './team-reporter-replied.email.js';

export type { RenderedEmail, TemplateContext } from './email-layout.js';

/** Subject, text and HTML for one email; a new member of the Email union fails to compile until rendered here. */
export function renderEmail(email: Email, ctx: TemplateContext): RenderedEmail {
  switch (email.template) {
    case 'report-received':
      return renderReportReceived(email);
    case 'reporter-update':
      return renderReporterUpdate(email);
    case 'team-new-report':
      return renderTeamNewReport(email);
    case 'team-reporter-replied':
      return renderTeamReporterReplied(email);
    case 'account-setup':
      return renderAccountSetup(email, ctx);
    case 'case-invitation':
      return renderCaseInvitation(email);
    case 'case-progress':
      return renderCaseProgress(email);
    case 'case-reminder':
      return renderCaseReminder(email);
    case 'distributor-welcome':
      return renderDistributorWelcome(email);
    case 'distributor-notice':
      return renderDistributorNotice(email);
    case 'distributor-update':
      return renderDistributorUpdate(email);
    case 'list-confirm':
      return renderListConfirm(email);
    case 'announcement':
      return renderAnnouncement(email);
    case 'case-timeline':
      return renderCaseTimeline(email);
    case 'dependent-confirm':
      return renderDependentConfirm(email);
    case 'dependent-alert':
      return renderDependentAlert(email);
    case 'findings-new':
      return renderFindingsNew(email);
  }
}
