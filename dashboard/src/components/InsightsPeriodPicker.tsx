// The Insights page's period and bucket: today, the last 7 or 30 days, or custom dates; by day or hour.

import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { PERIOD_CHOICES, type PeriodChoice, type PeriodSelection } from '../analyticsPeriod';
import type { AnalyticsBucketSize } from '../api/types';

export function InsightsPeriodPicker(props: { selection: PeriodSelection; onChange: (next: PeriodSelection) => void; invalid: boolean }) {
  const { t } = useTranslation();
  const { selection, onChange } = props;
  const id = useId();
  const set = (patch: Partial<PeriodSelection>) => onChange({ ...selection, ...patch });
  return (
    <form className="wg-insights-picker" onSubmit={(event) => event.preventDefault()} aria-label={t('insights.period.label')}>
      <label htmlFor={`${id}-period`}>{t('insights.period.period')}</label>
      <select id={`${id}-period`} value={selection.choice} onChange={(event) => set({ choice: event.target.value as PeriodChoice })}>
        {PERIOD_CHOICES.map((choice) => (
          <option key={choice} value={choice}>
            {t(`insights.period.${choice}`)}
          </option>
        ))}
      </select>
      {selection.choice === 'custom' ? (
        <>
          <label htmlFor={`${id}-from`}>{t('insights.period.from')}</label>
          <input id={`${id}-from`} type="date" value={selection.customFrom} onChange={(event) => set({ customFrom: event.target.value })} />
          <label htmlFor={`${id}-to`}>{t('insights.period.to')}</label>
          <input
            id={`${id}-to`}
            type="date"
            value={selection.customTo}
            aria-invalid={props.invalid || undefined}
            aria-describedby={props.invalid ? `${id}-invalid` : undefined}
            onChange={(event) => set({ customTo: event.target.value })}
          />
        </>
      ) : null}
      <label htmlFor={`${id}-bucket`}>{t('insights.period.bucket')}</label>
      <select id={`${id}-bucket`} value={selection.bucket} onChange={(event) => set({ bucket: event.target.value as AnalyticsBucketSize })}>
        <option value="day">{t('insights.period.byDay')}</option>
        <option value="hour">{t('insights.period.byHour')}</option>
      </select>
      {props.invalid ? (
        <p id={`${id}-invalid`} className="wg-field-error" role="alert">
          {t('insights.period.invalid')}
        </p>
      ) : null}
    </form>
  );
}
