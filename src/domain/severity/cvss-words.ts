import { cvssMetrics } from './cvss-metrics.js';
import type { CvssVersion, MetricDefinition, MetricGroup } from './cvss-metrics.js';
import { parseCvssVector } from './cvss-vector.js';
import type { ParsedCvssVector } from './cvss-vector.js';

// Plain words for every CVSS metric and value, written for the people who choose them on a case page
// (our own text after the FIRST specifications, not quoted from them). One table per version family:
// 3.0 and 3.1 define the same metrics and values. The completeness test walks cvssMetrics, so a value
// added there without words here fails it.

export interface ValueWords {
  /** The value's name, e.g. "Network" for AV:N. */
  readonly label: string;
  /** What choosing it says about this vulnerability, in one or two sentences. */
  readonly explanation: string;
}

export interface MetricWords {
  readonly description: string;
  readonly values: Readonly<Record<string, ValueWords>>;
}

type Table = Readonly<Record<string, MetricWords>>;
type Pairs = Record<string, readonly [label: string, explanation: string]>;

const words = (description: string, pairs: Pairs): MetricWords => ({
  description,
  values: Object.fromEntries(Object.entries(pairs).map(([v, [label, explanation]]) => [v, { label, explanation }])),
});

const lowerFirst = (text: string): string =>
  /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;

/** An environmental "Modified" metric: the base metric's values, as they hold where the software runs. */
function modified(base: MetricWords | undefined, name: string, extra: Pairs = {}): MetricWords {
  if (!base) throw new Error(`no base words for ${name}`);
  const values: Record<string, ValueWords> = {
    X: { label: 'Not Defined', explanation: `Keeps the base value of ${name}.` },
  };
  for (const [value, w] of Object.entries(base.values)) {
    values[value] = { label: w.label, explanation: `In the assessed environment, ${lowerFirst(w.explanation)}` };
  }
  for (const [value, [label, explanation]] of Object.entries(extra)) values[value] = { label, explanation };
  return {
    description:
      `${name} as it is where the software is deployed, when that differs from the base value ` +
      '(for example, a component only reachable from an internal network).',
    values,
  };
}

const requirement = (property: string, notDefined: string, notDefinedKey = 'X'): MetricWords =>
  words(
    `How much the ${property} of the affected system matters to the organisation that runs it, compared with its other systems.`,
    {
      [notDefinedKey]: ['Not Defined', notDefined],
      H: ['High', `Losing ${property} here would be catastrophic for the organisation or the people it serves.`],
      M: ['Medium', `Losing ${property} here would be serious.`],
      L: ['Low', `Losing ${property} here would have only a limited effect.`],
    },
  );

// --- CVSS 3.0 and 3.1 --------------------------------------------------------------------------------

const impact3 = (property: string, high: string, low: string, none: string): MetricWords =>
  words(`How much ${property} is lost in the impacted component when the vulnerability is exploited.`, {
    H: ['High', high],
    L: ['Low', low],
    N: ['None', none],
  });

// Attack Vector and Privileges Required mean the same in 3.x and 4.0.
const attackVector = words('How close to the vulnerable component an attacker has to be to exploit it.', {
  N: ['Network', 'An attacker can exploit it remotely over the network, from anywhere the component is reachable.'],
  A: [
    'Adjacent',
    'The attacker must share a network segment with the component, such as the same LAN, Wi-Fi or Bluetooth range.',
  ],
  L: [
    'Local',
    'The attacker needs access to the machine itself (a local account or shell), or must trick a user there into opening something.',
  ],
  P: ['Physical', 'The attacker must physically touch or handle the device.'],
});
const privilegesRequired = words('What privileges the attacker must already hold before the attack.', {
  N: ['None', 'Anyone can attack it: no account or prior access is needed.'],
  L: ['Low', 'The attacker needs an ordinary account, with basic user rights.'],
  H: ['High', 'The attacker needs administrative or otherwise powerful rights to begin with.'],
});

const base3: Table = {
  AV: attackVector,
  AC: words('Whether the attack needs conditions the attacker does not control.', {
    L: ['Low', 'No special conditions: the attacker can expect the attack to work every time.'],
    H: [
      'High',
      'The attack only works under conditions the attacker must first prepare or wait for, such as winning a race or learning a secret of the target.',
    ],
  }),
  PR: privilegesRequired,
  UI: words('Whether someone other than the attacker has to take part in the attack.', {
    N: ['None', 'The attacker can exploit it alone, without anyone else doing anything.'],
    R: ['Required', 'A user must do something first, such as open a file or click a link.'],
  }),
  S: words(
    'Whether exploiting the vulnerable component lets the attacker affect other components beyond its security boundary.',
    {
      U: ['Unchanged', 'The damage stays within the security authority of the vulnerable component.'],
      C: [
        'Changed',
        'The attack reaches past the vulnerable component to others under a different authority, such as escaping a sandbox or virtual machine.',
      ],
    },
  ),
  C: impact3(
    'confidentiality',
    'The attacker can read all information of the impacted component, or secrets that matter, such as passwords or keys.',
    'The attacker can read some information, but cannot choose what or it is of limited consequence.',
    'No information is disclosed.',
  ),
  I: impact3(
    'integrity',
    'The attacker can change any data of the impacted component, or data whose change has serious consequences.',
    'The attacker can change some data, but without control over what, or with limited consequences.',
    'No data can be changed.',
  ),
  A: impact3(
    'availability',
    'The attacker can make the impacted component entirely unavailable, during or after the attack, or deny an important part of it.',
    'Performance drops or the component is interrupted in part; it does not fully stop.',
    'Availability is not affected.',
  ),
};

const modified3 = (key: string, name: string) => modified(base3[key], name);

const v3Words: Table = {
  ...base3,
  E: words('How far working attack code for the vulnerability has come.', {
    X: ['Not Defined', 'Not assessed: scored as if exploit code were readily available (High).'],
    H: [
      'High',
      'Exploitation needs no special code, or reliable, self-propagating or easy-to-use exploit code exists.',
    ],
    F: ['Functional', 'Working exploit code exists and succeeds in most situations.'],
    P: [
      'Proof-of-Concept',
      'Proof-of-concept code exists, but it is not practical in most systems or needs expert changes.',
    ],
    U: ['Unproven', 'No exploit code is known, or exploitation is only theoretical.'],
  }),
  RL: words('What kind of fix or mitigation exists.', {
    X: ['Not Defined', 'Not assessed: scored as if no fix were available.'],
    U: ['Unavailable', 'No fix and no workaround exists, or it cannot be applied.'],
    W: ['Workaround', 'An unofficial, non-vendor fix or mitigation exists.'],
    T: ['Temporary Fix', 'The vendor offers an interim fix, tool or workaround.'],
    O: ['Official Fix', 'The vendor has released a complete fix or upgrade.'],
  }),
  RC: words('How sure it is that the vulnerability exists and its technical details are right.', {
    X: ['Not Defined', 'Not assessed: scored as if the vulnerability were confirmed.'],
    C: ['Confirmed', 'The vulnerability is confirmed: reproduced, acknowledged by the vendor, or its code is known.'],
    R: [
      'Reasonable',
      'Significant details are published and credible, but the root cause is not fully confirmed or reproduced.',
    ],
    U: ['Unknown', 'There are reports of impact, but their cause is unclear or they conflict.'],
  }),
  CR: requirement('confidentiality', 'Not assessed: scored as Medium.'),
  IR: requirement('integrity', 'Not assessed: scored as Medium.'),
  AR: requirement('availability', 'Not assessed: scored as Medium.'),
  MAV: modified3('AV', 'Attack Vector'),
  MAC: modified3('AC', 'Attack Complexity'),
  MPR: modified3('PR', 'Privileges Required'),
  MUI: modified3('UI', 'User Interaction'),
  MS: modified3('S', 'Scope'),
  MC: modified3('C', 'Confidentiality Impact'),
  MI: modified3('I', 'Integrity Impact'),
  MA: modified3('A', 'Availability Impact'),
};

// --- CVSS 4.0 ----------------------------------------------------------------------------------------

const impact4 = (system: 'vulnerable' | 'subsequent', property: string, high: string, low: string, none: string) =>
  words(
    system === 'vulnerable'
      ? `How much ${property} the vulnerable system itself loses when the vulnerability is exploited.`
      : `How much ${property} other systems lose as a consequence, beyond the vulnerable system (for example, the users' browsers or systems downstream).`,
    { H: ['High', high], L: ['Low', low], N: ['None', none] },
  );

const systemImpacts = (where: 'vulnerable' | 'subsequent') => {
  const on = where === 'vulnerable' ? 'the vulnerable system' : 'a subsequent system';
  return {
    C: impact4(
      where,
      'confidentiality',
      `The attacker can read all information of ${on}, or secrets that matter, such as passwords or keys.`,
      `The attacker can read some information of ${on}, without choosing what or with limited consequences.`,
      `No information of ${on} is disclosed.`,
    ),
    I: impact4(
      where,
      'integrity',
      `The attacker can change any data of ${on}, or data whose change has serious consequences.`,
      `The attacker can change some data of ${on}, without control over what or with limited consequences.`,
      `No data of ${on} can be changed.`,
    ),
    A: impact4(
      where,
      'availability',
      `The attacker can make ${on} entirely unavailable, or deny an important part of it.`,
      `Performance of ${on} drops or it is interrupted in part; it does not fully stop.`,
      `Availability of ${on} is not affected.`,
    ),
  };
};
const vulnerable4 = systemImpacts('vulnerable');
const subsequent4 = systemImpacts('subsequent');

const base4: Table = {
  AV: attackVector,
  AC: words('Whether the attacker must defeat security measures built to stop attacks.', {
    L: ['Low', 'Nothing specific to the target stands in the way: the attack works without bypassing protections.'],
    H: [
      'High',
      'The attacker must first get around a protection, such as address-space randomisation, or obtain a secret of the target, such as a key.',
    ],
  }),
  AT: words(
    'Whether the attack depends on how the vulnerable system happens to be deployed or running, apart from protections.',
    {
      N: ['None', 'The attack works against all or most installations, whatever their configuration or state.'],
      P: [
        'Present',
        'The attack needs particular conditions, such as winning a race or sitting in the network path, and may need many tries.',
      ],
    },
  ),
  PR: privilegesRequired,
  UI: words('Whether a person other than the attacker has to take part for the attack to succeed.', {
    N: ['None', 'The attacker can exploit it alone, without anyone else doing anything.'],
    P: [
      'Passive',
      'A user only has to do something ordinary and unwitting, such as visit a web page or open a message preview.',
    ],
    A: [
      'Active',
      'A user must deliberately do something specific, such as import a file or click through a security warning.',
    ],
  }),
  VC: vulnerable4.C,
  VI: vulnerable4.I,
  VA: vulnerable4.A,
  SC: subsequent4.C,
  SI: subsequent4.I,
  SA: subsequent4.A,
};

const modified4 = (key: string, name: string, extra?: Pairs) => modified(base4[key], name, extra);
const safetyImpact = (property: string): Pairs => ({
  S: [
    'Safety',
    `In the assessed environment, the ${property} impact on other systems could injure people or worse (marginal or worse under IEC 61508).`,
  ],
});

const v4Words: Table = {
  ...base4,
  E: words('How likely the vulnerability is to be attacked, given what is known about exploits today.', {
    X: ['Not Defined', 'Not assessed: scored as the worst case, Attacked.'],
    A: ['Attacked', 'Attacks have been reported, or tools that automate exploitation are publicly available.'],
    P: ['Proof-of-Concept', 'A proof-of-concept exploit is public, but no attacks are known.'],
    U: ['Unreported', 'No public proof of concept and no reported attacks are known.'],
  }),
  CR: requirement('confidentiality', 'Not assessed: scored as High.'),
  IR: requirement('integrity', 'Not assessed: scored as High.'),
  AR: requirement('availability', 'Not assessed: scored as High.'),
  MAV: modified4('AV', 'Attack Vector'),
  MAC: modified4('AC', 'Attack Complexity'),
  MAT: modified4('AT', 'Attack Requirements'),
  MPR: modified4('PR', 'Privileges Required'),
  MUI: modified4('UI', 'User Interaction'),
  MVC: modified4('VC', 'Vulnerable System Confidentiality Impact'),
  MVI: modified4('VI', 'Vulnerable System Integrity Impact'),
  MVA: modified4('VA', 'Vulnerable System Availability Impact'),
  MSC: modified4('SC', 'Subsequent System Confidentiality Impact'),
  MSI: modified4('SI', 'Subsequent System Integrity Impact', safetyImpact('integrity')),
  MSA: modified4('SA', 'Subsequent System Availability Impact', safetyImpact('availability')),
  S: words(
    'Whether exploiting it could harm people. Supplemental: it informs the response and never changes the score.',
    {
      X: ['Not Defined', 'Not assessed.'],
      N: ['Negligible', 'Any effect on human safety would be negligible.'],
      P: ['Present', 'Exploitation could injure people or worse (marginal or worse under IEC 61508).'],
    },
  ),
  AU: words(
    'Whether an attacker could automate the whole attack, from finding targets to exploiting them. Supplemental: it never changes the score.',
    {
      X: ['Not Defined', 'Not assessed.'],
      N: ['No', 'Some step of the attack cannot be reliably automated, so it cannot spread on its own at scale.'],
      Y: ['Yes', 'Every step can be automated, so the attack can be run against many targets at once.'],
    },
  ),
  R: words('How well the system comes back after an attack. Supplemental: it never changes the score.', {
    X: ['Not Defined', 'Not assessed.'],
    A: ['Automatic', 'The system recovers its services by itself once the attack ends.'],
    U: ['User', 'Someone has to step in by hand to restore the service.'],
    I: ['Irrecoverable', 'The service cannot be restored by its users after an attack.'],
  }),
  V: words('How much an attacker gains from each system they compromise. Supplemental: it never changes the score.', {
    X: ['Not Defined', 'Not assessed.'],
    D: ['Diffuse', 'Each vulnerable system holds little of value, such as a single user’s device.'],
    C: ['Concentrated', 'Each vulnerable system is a rich target, such as a server holding many users’ data.'],
  }),
  RE: words(
    'How hard it is for those affected to respond to the vulnerability. Supplemental: it never changes the score.',
    {
      X: ['Not Defined', 'Not assessed.'],
      L: ['Low', 'Responding takes little effort, such as a configuration change or a documented workaround.'],
      M: ['Moderate', 'Responding takes some effort and a short interruption, such as a driver update.'],
      H: ['High', 'Responding is hard, with long outages or even hardware replacement.'],
    },
  ),
  U: words(
    'How urgent the supplier of the software considers the vulnerability. Supplemental: it never changes the score.',
    {
      X: ['Not Defined', 'Not assessed.'],
      Clear: ['Clear', 'The supplier sees it as informational, with low or no urgency.'],
      Green: ['Green', 'The supplier sees reduced urgency.'],
      Amber: ['Amber', 'The supplier sees moderate urgency.'],
      Red: ['Red', 'The supplier sees the highest urgency.'],
    },
  ),
};

// --- CVSS 2.0 (imported vectors only) ----------------------------------------------------------------

const impact2 = (property: string, partial: string, complete: string, none: string): MetricWords =>
  words(`How much ${property} the system loses when the vulnerability is exploited.`, {
    N: ['None', none],
    P: ['Partial', partial],
    C: ['Complete', complete],
  });

const v2Words: Table = {
  AV: words('How the attacker reaches the vulnerable software.', {
    L: ['Local', 'The attacker needs physical access or a local account on the system.'],
    A: ['Adjacent Network', 'The attacker must be on the same local network segment as the system.'],
    N: ['Network', 'An attacker can exploit it remotely over the network.'],
  }),
  AC: words('How hard the attack is once the attacker can reach the system.', {
    H: [
      'High',
      'The attack needs specialised conditions, such as a rare configuration or a race won against the odds.',
    ],
    M: ['Medium', 'The attack needs somewhat specialised conditions, such as a non-default configuration.'],
    L: ['Low', 'No special conditions: the attack works routinely.'],
  }),
  Au: words('How many times the attacker must authenticate before the attack.', {
    M: ['Multiple', 'The attacker must authenticate two or more times, even with the same credentials.'],
    S: ['Single', 'The attacker must sign in once.'],
    N: ['None', 'No sign-in is needed.'],
  }),
  C: impact2(
    'confidentiality',
    'The attacker can read some information, but not choose what.',
    'The attacker can read all data on the system.',
    'No information is disclosed.',
  ),
  I: impact2(
    'integrity',
    'The attacker can change some data or files, with limited control.',
    'The attacker can change any file or data on the system.',
    'No data can be changed.',
  ),
  A: impact2(
    'availability',
    'Performance drops or the system is interrupted in part.',
    'The attacker can shut the system down completely.',
    'Availability is not affected.',
  ),
  E: words('How far working attack code for the vulnerability has come.', {
    ND: ['Not Defined', 'Not assessed: scored as if exploit code were readily available (High).'],
    U: ['Unproven', 'No exploit code is known, or exploitation is only theoretical.'],
    POC: ['Proof-of-Concept', 'Proof-of-concept code exists, but it is not practical on most systems.'],
    F: ['Functional', 'Working exploit code exists and succeeds in most situations.'],
    H: ['High', 'Exploitation needs no special code, or reliable, easy-to-use exploit code exists.'],
  }),
  RL: words('What kind of fix or mitigation exists.', {
    ND: ['Not Defined', 'Not assessed: scored as if no fix were available.'],
    OF: ['Official Fix', 'The vendor has released a complete fix or upgrade.'],
    TF: ['Temporary Fix', 'The vendor offers an interim fix, tool or workaround.'],
    W: ['Workaround', 'An unofficial, non-vendor fix or mitigation exists.'],
    U: ['Unavailable', 'No fix and no workaround exists, or it cannot be applied.'],
  }),
  RC: words('How sure it is that the vulnerability exists and its details are right.', {
    ND: ['Not Defined', 'Not assessed: scored as if the vulnerability were confirmed.'],
    UC: ['Unconfirmed', 'A single unconfirmed source, or several that conflict.'],
    UR: ['Uncorroborated', 'Several sources mostly agree, but some doubt remains.'],
    C: ['Confirmed', 'The vendor has acknowledged it, or it has been reproduced.'],
  }),
  CDP: words('How much physical or financial damage exploiting it could cause the organisation.', {
    ND: ['Not Defined', 'Not assessed: scored as None.'],
    N: ['None', 'No loss of life, property, revenue or productivity is expected.'],
    L: ['Low', 'Light physical or property damage, or a small loss of revenue or productivity.'],
    LM: ['Low-Medium', 'Moderate physical or property damage, or a moderate loss of revenue or productivity.'],
    MH: ['Medium-High', 'Significant physical or property damage or loss.'],
    H: ['High', 'Catastrophic physical or property damage or loss; possibly loss of life.'],
  }),
  TD: words('What share of the organisation’s systems are vulnerable.', {
    ND: ['Not Defined', 'Not assessed: scored as High.'],
    N: ['None', 'No systems are vulnerable, or only in a laboratory.'],
    L: ['Low', 'Up to a quarter of the systems are vulnerable.'],
    M: ['Medium', 'Between a quarter and three quarters of the systems are vulnerable.'],
    H: ['High', 'More than three quarters of the systems are vulnerable.'],
  }),
  CR: requirement('confidentiality', 'Not assessed: scored as Medium.', 'ND'),
  IR: requirement('integrity', 'Not assessed: scored as Medium.', 'ND'),
  AR: requirement('availability', 'Not assessed: scored as Medium.', 'ND'),
};

const tables: Readonly<Record<CvssVersion, Table>> = { '2.0': v2Words, '3.0': v3Words, '3.1': v3Words, '4.0': v4Words };

// --- Lookups -----------------------------------------------------------------------------------------

const groupText: Readonly<Record<MetricGroup, { name: string; description: string }>> = {
  base: { name: 'Base', description: 'What the vulnerability is, whatever the time or place.' },
  temporal: {
    name: 'Temporal',
    description: 'What is known today about exploits, fixes and confidence in the report; it changes over time.',
  },
  threat: { name: 'Threat', description: 'What is known today about attacks and exploits; it changes over time.' },
  environmental: {
    name: 'Environmental',
    description: 'How the vulnerability plays out where the software is deployed, and what matters there.',
  },
  supplemental: {
    name: 'Supplemental',
    description: 'Extra facts for those who respond; they never change the score.',
  },
};

/** The name and a one-line description of a metric group. */
export function groupWords(group: MetricGroup): { name: string; description: string } {
  return groupText[group];
}

function definitionOf(version: CvssVersion, key: string): MetricDefinition {
  const definition = cvssMetrics[version].find((d) => d.key === key);
  if (!definition) throw new Error(`${key} is not a metric of CVSS ${version}`);
  return definition;
}

/** The name and plain-words description of a metric; throws on a key the version does not have (a bug). */
export function metricWords(version: CvssVersion, key: string): { name: string; description: string } {
  const { name } = definitionOf(version, key);
  const words = tables[version][key];
  if (!words) throw new Error(`no words for ${key} of CVSS ${version}`);
  return { name, description: words.description };
}

/** The label and explanation of one value of a metric; throws on a value the metric does not have (a bug). */
export function valueWords(version: CvssVersion, key: string, value: string): ValueWords {
  const found = definitionOf(version, key).values.includes(value) ? tables[version][key]?.values[value] : undefined;
  if (!found) throw new Error(`no words for ${key}:${value} of CVSS ${version}`);
  return found;
}

export interface ExplainedMetric extends ValueWords {
  readonly key: string;
  readonly name: string;
  readonly group: MetricGroup;
  readonly value: string;
}

/**
 * Each metric a vector defines, in canonical order, with its label and explanation. Takes a vector
 * string, a parsed vector or anything carrying one (a CvssScore); a string is validated like scoreCvss.
 */
export function explainVector(source: string | ParsedCvssVector | { readonly vector: string }): ExplainedMetric[] {
  const parsed =
    typeof source === 'string'
      ? parseCvssVector(source)
      : 'metrics' in source
        ? source
        : parseCvssVector(source.vector);
  return parsed.metrics.map(({ definition, value }) => ({
    key: definition.key,
    name: definition.name,
    group: definition.group,
    value,
    ...valueWords(parsed.version, definition.key, value),
  }));
}
