/**
 * The metrics of each CVSS version as the FIRST specifications define them, in the canonical order of
 * the vector string. Our own tables (not the library's) decide what is valid: the library accepts
 * values the specifications do not (such as `SC:S` or `X` on a base metric in 4.0).
 */
export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';
export type MetricGroup = 'base' | 'temporal' | 'threat' | 'environmental' | 'supplemental';

export interface MetricDefinition {
  readonly key: string;
  readonly name: string;
  readonly group: MetricGroup;
  readonly values: readonly string[];
}

const m = (key: string, name: string, group: MetricGroup, values: string): MetricDefinition => ({
  key,
  name,
  group,
  values: values.split(','),
});

const v3: readonly MetricDefinition[] = [
  m('AV', 'Attack Vector', 'base', 'N,A,L,P'),
  m('AC', 'Attack Complexity', 'base', 'L,H'),
  m('PR', 'Privileges Required', 'base', 'N,L,H'),
  m('UI', 'User Interaction', 'base', 'N,R'),
  m('S', 'Scope', 'base', 'U,C'),
  m('C', 'Confidentiality Impact', 'base', 'H,L,N'),
  m('I', 'Integrity Impact', 'base', 'H,L,N'),
  m('A', 'Availability Impact', 'base', 'H,L,N'),
  m('E', 'Exploit Code Maturity', 'temporal', 'X,H,F,P,U'),
  m('RL', 'Remediation Level', 'temporal', 'X,U,W,T,O'),
  m('RC', 'Report Confidence', 'temporal', 'X,C,R,U'),
  m('CR', 'Confidentiality Requirement', 'environmental', 'X,H,M,L'),
  m('IR', 'Integrity Requirement', 'environmental', 'X,H,M,L'),
  m('AR', 'Availability Requirement', 'environmental', 'X,H,M,L'),
  m('MAV', 'Modified Attack Vector', 'environmental', 'X,N,A,L,P'),
  m('MAC', 'Modified Attack Complexity', 'environmental', 'X,L,H'),
  m('MPR', 'Modified Privileges Required', 'environmental', 'X,N,L,H'),
  m('MUI', 'Modified User Interaction', 'environmental', 'X,N,R'),
  m('MS', 'Modified Scope', 'environmental', 'X,U,C'),
  m('MC', 'Modified Confidentiality Impact', 'environmental', 'X,H,L,N'),
  m('MI', 'Modified Integrity Impact', 'environmental', 'X,H,L,N'),
  m('MA', 'Modified Availability Impact', 'environmental', 'X,H,L,N'),
];

const v4: readonly MetricDefinition[] = [
  m('AV', 'Attack Vector', 'base', 'N,A,L,P'),
  m('AC', 'Attack Complexity', 'base', 'L,H'),
  m('AT', 'Attack Requirements', 'base', 'N,P'),
  m('PR', 'Privileges Required', 'base', 'N,L,H'),
  m('UI', 'User Interaction', 'base', 'N,P,A'),
  m('VC', 'Vulnerable System Confidentiality Impact', 'base', 'H,L,N'),
  m('VI', 'Vulnerable System Integrity Impact', 'base', 'H,L,N'),
  m('VA', 'Vulnerable System Availability Impact', 'base', 'H,L,N'),
  m('SC', 'Subsequent System Confidentiality Impact', 'base', 'H,L,N'),
  m('SI', 'Subsequent System Integrity Impact', 'base', 'H,L,N'),
  m('SA', 'Subsequent System Availability Impact', 'base', 'H,L,N'),
  m('E', 'Exploit Maturity', 'threat', 'X,A,P,U'),
  m('CR', 'Confidentiality Requirement', 'environmental', 'X,H,M,L'),
  m('IR', 'Integrity Requirement', 'environmental', 'X,H,M,L'),
  m('AR', 'Availability Requirement', 'environmental', 'X,H,M,L'),
  m('MAV', 'Modified Attack Vector', 'environmental', 'X,N,A,L,P'),
  m('MAC', 'Modified Attack Complexity', 'environmental', 'X,L,H'),
  m('MAT', 'Modified Attack Requirements', 'environmental', 'X,N,P'),
  m('MPR', 'Modified Privileges Required', 'environmental', 'X,N,L,H'),
  m('MUI', 'Modified User Interaction', 'environmental', 'X,N,P,A'),
  m('MVC', 'Modified Vulnerable System Confidentiality', 'environmental', 'X,H,L,N'),
  m('MVI', 'Modified Vulnerable System Integrity', 'environmental', 'X,H,L,N'),
  m('MVA', 'Modified Vulnerable System Availability', 'environmental', 'X,H,L,N'),
  m('MSC', 'Modified Subsequent System Confidentiality', 'environmental', 'X,H,L,N'),
  m('MSI', 'Modified Subsequent System Integrity', 'environmental', 'X,S,H,L,N'),
  m('MSA', 'Modified Subsequent System Availability', 'environmental', 'X,S,H,L,N'),
  m('S', 'Safety', 'supplemental', 'X,N,P'),
  m('AU', 'Automatable', 'supplemental', 'X,N,Y'),
  m('R', 'Recovery', 'supplemental', 'X,A,U,I'),
  m('V', 'Value Density', 'supplemental', 'X,D,C'),
  m('RE', 'Vulnerability Response Effort', 'supplemental', 'X,L,M,H'),
  m('U', 'Provider Urgency', 'supplemental', 'X,Clear,Green,Amber,Red'),
];

const v2: readonly MetricDefinition[] = [
  m('AV', 'Access Vector', 'base', 'L,A,N'),
  m('AC', 'Access Complexity', 'base', 'H,M,L'),
  m('Au', 'Authentication', 'base', 'M,S,N'),
  m('C', 'Confidentiality Impact', 'base', 'N,P,C'),
  m('I', 'Integrity Impact', 'base', 'N,P,C'),
  m('A', 'Availability Impact', 'base', 'N,P,C'),
  m('E', 'Exploitability', 'temporal', 'ND,U,POC,F,H'),
  m('RL', 'Remediation Level', 'temporal', 'ND,OF,TF,W,U'),
  m('RC', 'Report Confidence', 'temporal', 'ND,UC,UR,C'),
  m('CDP', 'Collateral Damage Potential', 'environmental', 'ND,N,L,LM,MH,H'),
  m('TD', 'Target Distribution', 'environmental', 'ND,N,L,M,H'),
  m('CR', 'Confidentiality Requirement', 'environmental', 'ND,L,M,H'),
  m('IR', 'Integrity Requirement', 'environmental', 'ND,L,M,H'),
  m('AR', 'Availability Requirement', 'environmental', 'ND,L,M,H'),
];

export const cvssMetrics: Readonly<Record<CvssVersion, readonly MetricDefinition[]>> = {
  '2.0': v2,
  '3.0': v3,
  '3.1': v3,
  '4.0': v4,
};

/** The value meaning "Not Defined", which scores as if the metric were absent. */
export const notDefined = (version: CvssVersion): string => (version === '2.0' ? 'ND' : 'X');
