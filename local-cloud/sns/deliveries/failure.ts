/** A delivery that did not happen, with the reason the live log shows. */
export class DeliveryError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DeliveryError';
  }
}
