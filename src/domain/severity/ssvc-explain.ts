import {
  supplierDecision,
  type Automatable,
  type Exploitation,
  type PublicSafetyImpact,
  type SsvcPriority,
  type SupplierInput,
  type TechnicalImpact,
  type Utility,
  type ValueDensity,
} from './ssvc.js';

/** Plain-language account of an SSVC supplier decision, for the case page and the API. */
export interface SupplierExplanation {
  priority: SsvcPriority;
  utility: Utility;
  /** One sentence: what the priority asks of the team. */
  summary: string;
  /** One line per decision point (and the derived utility), in the order SSVC weighs them. */
  reasons: string[];
}

const exploitationText: Record<Exploitation, string> = {
  none: 'No public proof of concept and no report of exploitation.',
  'public-poc': 'A proof of concept or exploitation method is public.',
  active: 'Attackers are exploiting it now (credible reports of active exploitation).',
};
const automatableText: Record<Automatable, string> = {
  no: 'An attacker cannot automate all steps of the attack (kill-chain steps 1-4).',
  yes: 'An attacker can automate all steps of the attack, so it can spread at scale.',
};
const valueDensityText: Record<ValueDensity, string> = {
  diffuse: 'Each vulnerable system yields little to an attacker (diffuse value).',
  concentrated: 'Each vulnerable system is a rich target (concentrated value).',
};
const utilityText: Record<Utility, string> = {
  laborious: 'Together: exploiting it is laborious for the attacker.',
  efficient: 'Together: exploiting it is efficient for the attacker.',
  'super-effective': 'Together: exploiting it is super effective for the attacker.',
};
const technicalImpactText: Record<TechnicalImpact, string> = {
  partial: 'Exploitation gives the attacker limited control or information.',
  total: 'Exploitation gives the attacker total control of the software or all its information.',
};
const publicSafetyText: Record<PublicSafetyImpact, string> = {
  minimal: 'Minimal impact on public safety.',
  significant: 'Significant impact on public safety (marginal or worse safety harm).',
};
const prioritySummary: Record<SsvcPriority, string> = {
  defer: 'Defer: do not act on it now.',
  scheduled: 'Scheduled: fix it in the regular release cycle.',
  'out-of-cycle': 'Out of cycle: develop a fix and release it before the next scheduled release.',
  immediate: 'Immediate: drop other work, fix it as fast as possible and release at once.',
};

/** Explains why `supplierDecision` gave its priority; validates the input like it. */
export function explainSupplierDecision(input: SupplierInput): SupplierExplanation {
  const d = supplierDecision(input);
  return {
    priority: d.priority,
    utility: d.utility,
    summary: prioritySummary[d.priority],
    reasons: [
      exploitationText[d.exploitation],
      automatableText[d.automatable],
      valueDensityText[d.valueDensity],
      utilityText[d.utility],
      technicalImpactText[d.technicalImpact],
      publicSafetyText[d.publicSafetyImpact],
    ],
  };
}
