import { requestStanding } from './request-standing.js';

describe('requestStanding', () => {
  it('is answered when marked so, whatever the counts', () => {
    expect(requestStanding({ status: 'answered', required: 3, answered: 0 })).toBe('answered');
  });

  it('is answered when every chased milestone has its answer', () => {
    expect(requestStanding({ status: 'sent', required: 3, answered: 3 })).toBe('answered');
  });

  it('is partial when some chased milestones are answered', () => {
    expect(requestStanding({ status: 'sent', required: 3, answered: 2 })).toBe('partial');
  });

  it('is missing when nothing is answered', () => {
    expect(requestStanding({ status: 'sent', required: 3, answered: 0 })).toBe('missing');
  });

  it('is not answered by having nothing chased', () => {
    expect(requestStanding({ status: 'sent', required: 0, answered: 0 })).toBe('missing');
  });

  it('stands as no contact or bounced whatever was answered', () => {
    expect(requestStanding({ status: 'no_contact', required: 2, answered: 2 })).toBe('no_contact');
    expect(requestStanding({ status: 'bounced', required: 2, answered: 1 })).toBe('bounced');
  });
});
