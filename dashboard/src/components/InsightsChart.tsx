// One bar chart of the Insights page, with its text alternative: a caption saying what it shows and
// the same numbers as a table (under "Show the numbers"), so a screen reader loses nothing.

import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber } from '../format';

export interface ChartSeries {
  key: string;
  label: string;
  color: string;
}

export interface ChartRow {
  label: string;
  [series: string]: string | number;
}

export function InsightsChart(props: {
  title: string;
  description: string;
  category: string;
  rows: ChartRow[];
  series: ChartSeries[];
  stacked?: boolean;
}) {
  const { t, i18n } = useTranslation();
  const headingId = useId();
  const descriptionId = useId();
  const rtl = i18n.dir() === 'rtl';
  return (
    <figure className="wg-card wg-insights-chart" aria-labelledby={headingId}>
      <h2 id={headingId} className="wg-card__title">
        {props.title}
      </h2>
      <p id={descriptionId} className="wg-muted">
        {props.description}
      </p>
      <div className="wg-insights-chart__plot" role="img" aria-labelledby={headingId} aria-describedby={descriptionId}>
        <ResponsiveContainer width="100%" height={260}>
          <BarChart data={props.rows} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" reversed={rtl} minTickGap={8} />
            <YAxis allowDecimals={false} orientation={rtl ? 'right' : 'left'} tickFormatter={(value: number) => formatNumber(value)} />
            <Tooltip formatter={(value) => formatNumber(Number(value))} />
            <Legend />
            {props.series.map((series) => (
              <Bar key={series.key} dataKey={series.key} name={series.label} fill={series.color} stackId={props.stacked ? 'stack' : undefined} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <details className="wg-insights-chart__table">
        <summary>{t('insights.showNumbers')}</summary>
        <div className="wg-table-scroll" role="region" aria-labelledby={headingId} tabIndex={0}>
          <table className="wg-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">{props.category}</th>
                {props.series.map((series) => (
                  <th key={series.key} scope="col" className="wg-table__number">
                    {series.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row) => (
                <tr key={row.label}>
                  <th scope="row">{row.label}</th>
                  {props.series.map((series) => (
                    <td key={series.key} className="wg-table__number">
                      {formatNumber(Number(row[series.key]))}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
